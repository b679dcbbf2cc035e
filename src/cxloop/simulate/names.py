"""Names for the simulated organisation: a mix of first names and surnames heard in UK
contact centres. Unique full names are drawn from these lists."""

from __future__ import annotations

import numpy as np

FIRST_NAMES = (
    "Priya Tom Sarah James Aisha Mohammed Emma Daniel Chloe Liam Sophie Ryan Hannah Jack "
    "Olivia Harry Grace Callum Megan Kieran Zara Imran Fatima Lewis Amy Connor Jade Nathan "
    "Leanne Gareth Rhys Bethan Siobhan Declan Aoife Ciaran Niamh Eilidh Fraser Morag Hamish "
    "Kirsty Ewan Catriona Agnieszka Piotr Kasia Tomasz Marta Oluwaseun Chidi Ngozi Tunde "
    "Adaeze Kwame Abena Kofi Yaw Amara Wei Mei Jun Li Hui Ravi Anjali Sunita Arjun Deepak "
    "Harpreet Jaswinder Gurpreet Simran Manpreet Bilal Hassan Ayesha Nadia Samira Omar Yusuf "
    "Leila Rosa Marco Giulia Luca Ana Joao Ines Carlos Lucia Stefan Elena Andrei Ioana "
    "Dmitri Olga Anna Mark Paul Helen Karen Julie Stephen Andrew Claire Lisa Gemma Craig "
    "Dean Stacey Kelly Natalie Ashley Jordan Tyler Charlotte Ellie Freya Isla Ruby Poppy "
    "Alfie Archie Oscar Theo Finley Reece Shannon Tanya Wayne Darren Lee Marie Joanne Dawn "
    "Nicola Fiona Alison Graham Keith Colin Shauna Precious Blessing Tendai Farai Rutendo "
    "Moses Esther Ruth Samuel Ibrahim Khadija Tariq Asif Rizwan Shabana Parveen Naveed "
    "Vikram Pooja Neha Rahul Kiran Meera Dev Ben Matt Katie Laura Rachel Becky Josh Sam"
).split()

SURNAMES = (
    "Smith Jones Taylor Brown Williams Wilson Johnson Davies Patel Robinson Wright Thompson "
    "Evans Walker White Roberts Green Hall Wood Jackson Clarke Khan Ali Hussain Ahmed Shah "
    "Begum Singh Kaur Sharma Gill Chen Wang Li Zhang Wong Okafor Adeyemi Mensah Owusu "
    "Boateng Nowak Kowalski Wisniewska Lewandowski Murphy Kelly O'Brien Byrne Walsh Ryan "
    "Campbell Stewart MacDonald Robertson Thomson Reid Murray Fraser Hughes Edwards Lloyd "
    "Morgan Price Jenkins Rees Pritchard Hill Moore Martin Cooper Ward Morris King Baker "
    "Harrison Scott Turner Parker Collins Bennett Cook Bailey Bell Mitchell Shaw Lee "
    "Rossi Silva Santos Pereira Costa Ferreira Popescu Ionescu Novak Horvat Dubois Mueller "
    "Nguyen Tran Kim Park Osei Nwosu Eze Bello Mahmood Iqbal Akhtar Rahman Chowdhury Miah "
    "Barker Fletcher Holmes Knight Marsh Reynolds Palmer Lawson Gibson Grant Ellis Dixon "
    "Webb Armstrong Burns Doyle Quinn Gallagher Duffy Kennedy Sutherland Grieve Lamb"
).split()


def draw_names(rng: np.random.Generator, n: int) -> list[tuple[str, str]]:
    """``n`` distinct (first name, surname) pairs."""
    seen: set[tuple[str, str]] = set()
    out: list[tuple[str, str]] = []
    while len(out) < n:
        k = (n - len(out)) * 2
        firsts = rng.integers(0, len(FIRST_NAMES), k)
        lasts = rng.integers(0, len(SURNAMES), k)
        for f, s in zip(firsts.tolist(), lasts.tolist(), strict=True):
            pair = (FIRST_NAMES[f], SURNAMES[s])
            if pair not in seen:
                seen.add(pair)
                out.append(pair)
                if len(out) == n:
                    break
    return out
